# Extra libraries of the `mos` CLI commands (included by CMakeLists.txt here).
target_link_libraries(mos_cli_commands PUBLIC mos_rpcclient)
# `mos sim start` runs the chip next to the mos binary: build it with mos.
if(TARGET mos_sim_chip)
  add_dependencies(mos_cli_commands mos_sim_chip)
endif()
# `mos cloud`: finds mos-cloud and the policy plugin in this build tree.
target_compile_definitions(mos_cli_commands PRIVATE MOS_BUILD_DIR="${CMAKE_BINARY_DIR}")
# `mos sim` validates access points as the board does.
target_link_libraries(mos_cli_commands PUBLIC mos_port_sim)
# `mos flash`: the ESP8266 flasher; `mos build` writes fw.zip, `mos flash` reads it.
target_link_libraries(mos_cli_commands PUBLIC mos_espflash mos_fwbundle)
include(${CMAKE_CURRENT_LIST_DIR}/build_deps.cmake)
# Port resolution and the RPC session, shared by cmd_device and cmd_aws_iot_setup.
target_sources(mos_cli_commands PRIVATE ${CMAKE_CURRENT_LIST_DIR}/device_session.cpp)
# `mos aws-iot-setup`: AWS credentials, SigV4-signed IoT API calls, key and CSR.
target_link_libraries(mos_cli_commands PUBLIC mos_aws)
# `mos cloud status` reads the connected clients from the registry (cloud/registry).
target_link_libraries(mos_cli_commands PUBLIC mos_registry)
# `mos cloud status` leaves mos-cloud's own clients out (mos/cloud/service_clients.h).
target_link_libraries(mos_cli_commands PUBLIC mos_aws_limits)
