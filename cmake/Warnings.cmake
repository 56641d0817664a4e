# Warnings for Switchboard's own targets; third-party headers come in as SYSTEM includes.
add_library(sb_warnings INTERFACE)
target_compile_options(sb_warnings INTERFACE -Wall -Wextra -Wpedantic -Wnon-virtual-dtor
                                             -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(sb_warnings INTERFACE -Wshadow=local)
endif()
if(SB_WERROR)
  target_compile_options(sb_warnings INTERFACE -Werror)
endif()
