# `mos build` (cmd_build.cpp and its build_*.cpp helpers); included by deps.cmake.
find_package(yaml-cpp REQUIRED)  # Debian libyaml-cpp-dev
add_library(mos_build_helpers STATIC
  ${CMAKE_CURRENT_LIST_DIR}/build_app.cpp ${CMAKE_CURRENT_LIST_DIR}/build_fsimage.cpp
  ${CMAKE_CURRENT_LIST_DIR}/build_spawn.cpp)
target_include_directories(mos_build_helpers PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(mos_build_helpers PUBLIC CLI11::CLI11 mos_fs mos_port_sim PRIVATE yaml-cpp)
mos_warnings(mos_build_helpers)
target_link_libraries(mos_cli_commands PUBLIC mos_build_helpers)
# The firmware build project (device/port/sim/app_build) is found here unless
# MOS_ROOT says otherwise (an installed runtime).
target_compile_definitions(mos_cli_commands PRIVATE MOS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

mos_test(mos_build_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/test/build_test.cpp DEPS mos_build_helpers LABELS unit)
if(MOS_TESTS)
  find_package(Python3 COMPONENTS Interpreter REQUIRED)
  add_test(NAME mos_build_e2e
           COMMAND Python3::Interpreter ${CMAKE_CURRENT_LIST_DIR}/test/test_build_e2e.py $<TARGET_FILE:mos>
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(mos_build_e2e PROPERTIES LABELS e2e TIMEOUT 900)
endif()
