# bench_keycard drives the card with the Keycard host client. Without that library (a partial
# tree) the program is left out of the default build.
if(TARGET cf_keycard_client)
  target_link_libraries(bench_keycard PRIVATE cf_keycard_client)
else()
  set_target_properties(bench_keycard PROPERTIES EXCLUDE_FROM_ALL TRUE)
endif()
