# The card families of cardforge, ONE line each (docs/architecture.md, "Adding a card application";
# the arguments are described in card_registry.cmake). Included by the top-level CMakeLists.txt
# before any module: the options decide what every folder builds.
include(${CMAKE_CURRENT_LIST_DIR}/card_registry.cmake)

cf_card_family(loopback                        FOLDER applets/loopback LIBRARY cf_loopback HEADER cardforge/loopback.h PROFILE loopback_profile                PARAMS registry/params/loopback_params.c)
cf_card_family(keycard  OPTION CF_WITH_KEYCARD FOLDER applets/keycard  LIBRARY cf_keycard  HEADER cardforge/keycard.h  PROFILE keycard_profile                 PARAMS registry/params/keycard_params.c)
cf_card_family(gp       OPTION CF_WITH_GP      FOLDER applets/gp       LIBRARY cf_gp       HEADER cardforge/gp.h       PROFILE gp_profile                      PARAMS registry/params/gp_params.c)
# The Keycard as shipped holds the wallet applet and the GP Security Domain: off when either is.
if(DEFINED CF_WITH_KEYCARD AND NOT CF_WITH_KEYCARD OR DEFINED CF_WITH_GP AND NOT CF_WITH_GP)
  set(CF_WITH_KEYCARD_CARD OFF)
endif()
cf_card_family(keycard_card OPTION CF_WITH_KEYCARD_CARD FOLDER applets/keycard_card LIBRARY cf_keycard_card HEADER cardforge/keycard_card.h PROFILE keycard_card_profile keycard_card_alias_profile PARAMS registry/params/keycard_card_params.c)
cf_card_family(cmcc     OPTION CF_WITH_CMCC    FOLDER applets/cmcc     LIBRARY cf_cmcc     HEADER cardforge/cmcc.h     PROFILE_ARRAY cmcc_profiles cmcc_profile_count PARAMS registry/params/cmcc_params.c)
