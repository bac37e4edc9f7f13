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
  set_property(GLOBAL APPEND PROPERTY MOS_CORE_LIBRARIES ${name})
endfunction()

# Cross builds (the `arm` preset): fail the build when any device-core library
# refers to malloc/free/new/delete/__cxa_allocate_exception (see
# cmake/check-no-heap.sh). Call once, after every mos_core_library exists.
function(mos_no_heap_check)
  if(NOT CMAKE_CROSSCOMPILING)
    return()
  endif()
  get_property(libs GLOBAL PROPERTY MOS_CORE_LIBRARIES)
  string(REGEX REPLACE "objdump$" "c++filt" cxxfilt "${CMAKE_OBJDUMP}")
  if(NOT EXISTS "${cxxfilt}")
    find_program(cxxfilt c++filt REQUIRED)
  endif()
  set(archives "")
  foreach(lib IN LISTS libs)
    list(APPEND archives $<TARGET_FILE:${lib}>)
  endforeach()
  set(stamp ${CMAKE_BINARY_DIR}/no-heap.ok)
  add_custom_command(OUTPUT ${stamp}
    COMMAND bash ${PROJECT_SOURCE_DIR}/cmake/check-no-heap.sh ${CMAKE_OBJDUMP} ${cxxfilt}
            --cxx ${CMAKE_CXX_COMPILER} "${CMAKE_CXX_FLAGS}" ${CMAKE_BINARY_DIR} ${archives}
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    DEPENDS ${libs} ${PROJECT_SOURCE_DIR}/cmake/check-no-heap.sh
    COMMENT "Checking the device core for heap use"
    VERBATIM)
  add_custom_target(mos_no_heap_check ALL DEPENDS ${stamp})
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
