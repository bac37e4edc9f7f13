# Writes OUT/fw.bin (a header line, the build id, a digest of the app's
# sources) and OUT/conf0.json. A source containing MOS_TEST_BREAK_BUILD fails
# the build, as a compile error would.
file(GLOB_RECURSE srcs ${APP}/src/*)
list(SORT srcs)
set(digest "")
foreach(f IN LISTS srcs)
  file(READ ${f} text)
  if(text MATCHES "MOS_TEST_BREAK_BUILD")
    message(FATAL_ERROR "${f}:1: error: the test broke this build")
  endif()
  file(SHA1 ${f} h)
  string(APPEND digest "${h}\n")
endforeach()
file(WRITE ${OUT}/fw.bin "MOS stand-in firmware\n${ID}\n${digest}")
file(WRITE ${OUT}/conf0.json "{\"device\":{\"id\":\"esp8266_??????\"},\"mqtt\":{\"pub\":\"/response\",\"sub\":\"/request\"}}\n")
