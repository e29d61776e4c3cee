# bench_cmcc drives the cards with the China Mobile host flows. Without that library (a partial
# tree) the program is left out of the default build.
if(TARGET cf_cmcc_host)
  target_link_libraries(bench_cmcc PRIVATE cf_cmcc_host cf_cmcc_crypto)
else()
  set_target_properties(bench_cmcc PROPERTIES EXCLUDE_FROM_ALL TRUE)
endif()
