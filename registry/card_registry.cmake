# The machinery behind registry/card_families.cmake (docs/architecture.md, "Adding a card application").
#
# cf_card_family(NAME [OPTION CF_WITH_X] FOLDER dir LIBRARY target HEADER header
#                PROFILE symbol... | PROFILE_ARRAY array count   [PARAMS file.c])
#   Declares a card family. OPTION (default ON) turns the whole family off: its card, its host
#   side, its `cardforge` subcommand, its tests, fuzzers and benchmarks. FOLDER holds the card
#   application; its CMakeLists.txt must define LIBRARY. HEADER (under include/, or in FOLDER)
#   declares the profiles: PROFILE names `const cf_card_profile` objects, PROFILE_ARRAY an array of
#   profile pointers and its length. PARAMS defines the family's parameter declarations,
#   cf_<NAME>_type_params[] and cf_<NAME>_type_params_count (registry/registry_build.h). FOLDER and
#   PARAMS are relative to the folder that makes the call (the top level for card_families.cmake).
#   Every name is checked: a missing folder, header, file or target stops the configuration.
# cf_add_card_applications(NAME...)
#   Adds the FOLDER of each named family and checks that it defined LIBRARY.
# cf_add_family_subdirectories(NAME...)
#   Adds the subfolder NAME of the calling folder for each named family whose option is on (host/,
#   tests/integration/: one folder per family).
# cf_card_registry(TARGET NAME...)
#   A static library TARGET: the registry (cardforge/registry.h) listing exactly the named families.

set(CF_REGISTRY_DIR ${CMAKE_CURRENT_LIST_DIR})

function(cf_card_family name)
  cmake_parse_arguments(PARSE_ARGV 1 F "" "OPTION;FOLDER;LIBRARY;HEADER;PARAMS" "PROFILE;PROFILE_ARRAY")
  if(F_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "cf_card_family(${name}): unknown arguments ${F_UNPARSED_ARGUMENTS}")
  endif()
  foreach(_required FOLDER LIBRARY HEADER)
    if(NOT F_${_required})
      message(FATAL_ERROR "cf_card_family(${name}): ${_required} missing")
    endif()
  endforeach()
  list(LENGTH F_PROFILE_ARRAY _array_len)
  if((NOT F_PROFILE AND _array_len EQUAL 0) OR NOT (_array_len EQUAL 0 OR _array_len EQUAL 2))
    message(FATAL_ERROR "cf_card_family(${name}): give PROFILE symbol... or PROFILE_ARRAY array count")
  endif()
  if(F_OPTION)
    option(${F_OPTION} "Build the ${name} card family (card, host side, subcommand, tests)" ON)
    if(NOT ${F_OPTION})
      message(STATUS "cardforge: card family ${name} off (${F_OPTION}=OFF)")
      return()
    endif()
  endif()

  get_filename_component(_folder ${F_FOLDER} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  if(NOT EXISTS ${_folder}/CMakeLists.txt)
    message(FATAL_ERROR "card family ${name}: ${_folder}/CMakeLists.txt does not exist")
  endif()
  if(EXISTS ${CMAKE_SOURCE_DIR}/include/${F_HEADER})
    set(_header_dir ${CMAKE_SOURCE_DIR}/include)
  elseif(EXISTS ${_folder}/${F_HEADER})
    set(_header_dir ${_folder})
  else()
    message(FATAL_ERROR "card family ${name}: header ${F_HEADER} is neither under include/ nor in ${_folder}")
  endif()
  set(_params "")
  if(F_PARAMS)
    get_filename_component(_params ${F_PARAMS} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    if(NOT EXISTS ${_params})
      message(FATAL_ERROR "card family ${name}: parameter file ${_params} does not exist")
    endif()
  endif()

  set_property(GLOBAL APPEND PROPERTY CF_CARD_FAMILIES ${name})
  foreach(_key FOLDER LIBRARY HEADER PROFILE PROFILE_ARRAY)
    set_property(GLOBAL PROPERTY CF_CARD_FAMILY_${name}_${_key} "${F_${_key}}")
  endforeach()
  set_property(GLOBAL PROPERTY CF_CARD_FAMILY_${name}_FOLDER_PATH ${_folder})
  set_property(GLOBAL PROPERTY CF_CARD_FAMILY_${name}_HEADER_DIR ${_header_dir})
  set_property(GLOBAL PROPERTY CF_CARD_FAMILY_${name}_PARAMS_PATH "${_params}")
endfunction()

# The value of KEY for family NAME into OUT (a configure error for a family never declared).
function(cf_card_family_get out name key)
  get_property(_declared GLOBAL PROPERTY CF_CARD_FAMILY_${name}_LIBRARY SET)
  if(NOT _declared)
    message(FATAL_ERROR "card family ${name} is not declared (or its option is OFF)")
  endif()
  get_property(_value GLOBAL PROPERTY CF_CARD_FAMILY_${name}_${key})
  set(${out} "${_value}" PARENT_SCOPE)
endfunction()

function(cf_add_card_applications)
  foreach(_name ${ARGN})
    cf_card_family_get(_folder ${_name} FOLDER_PATH)
    cf_card_family_get(_library ${_name} LIBRARY)
    file(RELATIVE_PATH _rel ${CMAKE_SOURCE_DIR} ${_folder})
    add_subdirectory(${_folder} ${CMAKE_BINARY_DIR}/${_rel})
    if(NOT TARGET ${_library})
      message(FATAL_ERROR "card family ${_name}: ${_rel}/CMakeLists.txt defines no target ${_library} "
                          "(registry/card_families.cmake names it)")
    endif()
  endforeach()
endfunction()

function(cf_add_family_subdirectories)
  get_property(_enabled GLOBAL PROPERTY CF_CARD_FAMILIES)
  foreach(_name ${ARGN})
    if(_name IN_LIST _enabled)
      add_subdirectory(${_name})
    endif()
  endforeach()
endfunction()

function(cf_card_registry target)
  set(_includes "")
  set(_decls "")
  set(_adds "")
  set(_sources ${CF_REGISTRY_DIR}/registry.c)
  set(_libs "")
  set(_include_dirs ${CF_REGISTRY_DIR})
  foreach(_name ${ARGN})
    foreach(_key LIBRARY HEADER HEADER_DIR PROFILE PROFILE_ARRAY PARAMS_PATH)
      cf_card_family_get(_${_key} ${_name} ${_key})
    endforeach()
    string(APPEND _includes "#include \"${_HEADER}\"\n")
    foreach(_symbol ${_PROFILE})
      string(APPEND _adds "  cf_registry_add_profile(&${_symbol});\n")
    endforeach()
    if(_PROFILE_ARRAY)
      list(GET _PROFILE_ARRAY 0 _array)
      list(GET _PROFILE_ARRAY 1 _count)
      string(APPEND _adds "  cf_registry_add_profiles(${_array}, ${_count});\n")
    endif()
    if(_PARAMS_PATH)
      list(APPEND _sources ${_PARAMS_PATH})
      string(APPEND _decls "extern const cf_card_type_decl cf_${_name}_type_params[];\n"
                           "extern const size_t cf_${_name}_type_params_count;\n")
      string(APPEND _adds "  cf_registry_add_params(cf_${_name}_type_params, cf_${_name}_type_params_count);\n")
    endif()
    list(APPEND _libs ${_LIBRARY})
    list(APPEND _include_dirs ${_HEADER_DIR})
  endforeach()
  string(REPLACE ";" ", " _list "${ARGN}")
  set(_generated ${CMAKE_CURRENT_BINARY_DIR}/${target}_families.c)
  file(CONFIGURE OUTPUT ${_generated} @ONLY CONTENT
"/* Generated by registry/card_registry.cmake for ${target}; do not edit.
 * Card families: ${_list}. */
#include \"registry_build.h\"
@_includes@
@_decls@
void cf_registry_add_families(void) {
@_adds@}
")
  add_library(${target} STATIC ${_sources} ${_generated})
  list(REMOVE_DUPLICATES _include_dirs)
  target_include_directories(${target} PRIVATE ${_include_dirs})
  find_package(Threads REQUIRED)
  target_link_libraries(${target} PUBLIC ${_libs} cf_runtime Threads::Threads)
endfunction()
