# SB_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer for every target (the test build).
# SB_FUZZ: coverage instrumentation for libFuzzer on the libraries, ASan + UBSan as well.
set(SB_SANITIZER_FLAGS "")
if(SB_SANITIZE OR SB_FUZZ)
  list(APPEND SB_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
       -fno-sanitize-recover=undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang 14 cannot emit -fsanitize=function prefix data for coroutine frames.
    list(APPEND SB_SANITIZER_FLAGS -fno-sanitize=function)
  endif()
endif()
if(SB_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SB_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  list(APPEND SB_SANITIZER_FLAGS -fsanitize=fuzzer-no-link)
endif()
if(SB_SANITIZER_FLAGS)
  add_compile_options(${SB_SANITIZER_FLAGS})
  string(REPLACE ";" " " _sb_link "${SB_SANITIZER_FLAGS}")
  string(REPLACE "-fsanitize=fuzzer-no-link" "" _sb_link "${_sb_link}")
  set(CMAKE_EXE_LINKER_FLAGS "${CMAKE_EXE_LINKER_FLAGS} ${_sb_link}")
  set(CMAKE_SHARED_LINKER_FLAGS "${CMAKE_SHARED_LINKER_FLAGS} ${_sb_link}")
endif()
