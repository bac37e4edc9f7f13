# Extra libraries of the `mos` CLI commands (included by CMakeLists.txt here).
target_link_libraries(mos_cli_commands PUBLIC mos_rpcclient)
