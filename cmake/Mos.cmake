# Helpers shared by every part of the tree.

# Project code compiles with warnings as errors (STYLE.md §9).
function(mos_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion -Werror)
endfunction()

# A portable device-core library: builds for the host and for arm-none-eabi.
# Usage: mos_core_library(mos_json SOURCES a.cpp b.cpp DEPS mos_base)
function(mos_core_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  mos_warnings(${name})
endfunction()

# A GoogleTest suite registered with CTest.
# Usage: mos_test(json_test SOURCES t.cpp DEPS mos_json [LABELS unit])
function(mos_test name)
  if(MOS_CORE_ONLY OR NOT MOS_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  mos_warnings(${name})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()

# A libFuzzer target (only with MOS_FUZZ=ON and clang). Seeds live next to it in
# a folder named after the target; scripts/fuzz.sh runs every target briefly.
function(mos_fuzzer name)
  if(NOT MOS_FUZZ)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  mos_warnings(${name})
  set_property(GLOBAL APPEND PROPERTY MOS_FUZZERS "${name}=${CMAKE_CURRENT_SOURCE_DIR}/corpus/${name}")
endfunction()
