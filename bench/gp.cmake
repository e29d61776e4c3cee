# bench_gp drives the card with the GlobalPlatform host client. Without that library (a partial
# tree) the program is left out of the default build.
if(TARGET cf_gp_client)
  target_link_libraries(bench_gp PRIVATE cf_gp_client)
else()
  set_target_properties(bench_gp PROPERTIES EXCLUDE_FROM_ALL TRUE)
endif()
