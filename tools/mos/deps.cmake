# Extra libraries of the `mos` CLI commands (included by CMakeLists.txt here).
target_link_libraries(mos_cli_commands PUBLIC mos_rpcclient)
# `mos sim start` runs the board next to the mos binary: build it with mos.
if(TARGET mos_sim_firmware_c_mqtt)
  add_dependencies(mos_cli_commands mos_sim_firmware_c_mqtt)
endif()
# `mos cloud`: finds mos-cloud and the policy plugin in this build tree.
target_compile_definitions(mos_cli_commands PRIVATE MOS_BUILD_DIR="${CMAKE_BINARY_DIR}")
# `mos sim` validates access points as the board does.
target_link_libraries(mos_cli_commands PUBLIC mos_port_sim)
# `mos cloud status` reads the connected clients from the registry (cloud/registry).
target_link_libraries(mos_cli_commands PUBLIC mos_registry)
