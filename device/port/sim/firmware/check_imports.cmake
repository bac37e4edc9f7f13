# The firmware reaches the hardware only through the ROM API: fail the build
# when its shared object imports anything of the host that is not the C/C++
# runtime's pure functions (strings, formatting, math, the allocator the
# runtime uses at boot). A socket, file, clock or thread call in an app or
# the core shows up here by name, and so does a shared library other than the
# C/C++ runtime. Run as: cmake -DSO=lib.so -DNM=nm -DREADELF=readelf -P this.
execute_process(COMMAND ${NM} -D --undefined-only ${SO} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "check_imports: ${NM} failed on ${SO}")
endif()
set(forbidden socket connect bind listen accept accept4 send sendto recv recvfrom setsockopt
    getaddrinfo gethostbyname open open64 close openat fopen fopen64 creat read write pread pwrite
    poll ppoll select epoll_wait epoll_create1 ioctl fcntl mmap mmap64 fork vfork execv execve
    execvp system popen pthread_create clock_gettime gettimeofday time sleep usleep nanosleep
    getrandom getpid kill signal sigaction unlink rename mkdir stat fstat)
string(REGEX MATCHALL "[ \t]U ([A-Za-z0-9_]+)" imports "${out}")
set(bad)
foreach(line ${imports})
  string(REGEX REPLACE ".*U " "" sym "${line}")
  string(REGEX REPLACE "@.*" "" sym "${sym}")
  list(FIND forbidden ${sym} idx)
  if(NOT idx EQUAL -1)
    list(APPEND bad ${sym})
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "check_imports: ${SO} calls the host directly: ${bad}. Firmware must reach "
                      "the hardware through the ROM API (device/port/sim/include/mos/sim/rom_api.h).")
endif()

execute_process(COMMAND ${READELF} -d ${SO} OUTPUT_VARIABLE dyn RESULT_VARIABLE rc)
string(REGEX MATCHALL "Shared library: \\[[^]]+\\]" needed "${dyn}")
foreach(n ${needed})
  string(REGEX REPLACE ".*\\[(.*)\\]" "\\1" lib "${n}")
  if(NOT lib MATCHES "^(libc|libm|libstdc\\+\\+|libgcc_s)\\.so")
    message(FATAL_ERROR "check_imports: ${SO} needs ${lib}; link it statically so the image "
                        "carries it (the chip has nothing but the ROM API and the C/C++ runtime).")
  endif()
endforeach()
