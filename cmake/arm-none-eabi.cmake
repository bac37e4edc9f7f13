# Cortex-M4 cross toolchain (Debian gcc-arm-none-eabi + newlib). Core libraries only.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
# -fmacro-prefix-map: __FILE__ (MOS_ASSERT, logs) is the path in the repository,
# not the build machine's, which keeps flash strings short and builds reproducible.
get_filename_component(MOS_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(MOS_ARM_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -ffunction-sections -fdata-sections -fmacro-prefix-map=${MOS_ROOT}/=")
set(CMAKE_C_FLAGS_INIT "${MOS_ARM_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${MOS_ARM_FLAGS} -fno-exceptions -fno-rtti -fno-threadsafe-statics")
set(CMAKE_C_FLAGS_MINSIZEREL_INIT "-Os -DNDEBUG")
set(CMAKE_CXX_FLAGS_MINSIZEREL_INIT "-Os -DNDEBUG")
