# Every dependency comes from Debian 12 packages installed by scripts/setup.
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json url)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
find_package(CLI11 CONFIG REQUIRED)
# The server allocates jemalloc's way: under a thousand calls a second, glibc's malloc hands
# memory back to the kernel and faults it in again, a third of the signalling CPU. Sanitizers
# bring their own allocator, so those builds keep the default one.
if(SB_JEMALLOC AND NOT SB_SANITIZE AND NOT SB_FUZZ)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()
if(NOT SB_FUZZ)
  find_package(GTest REQUIRED)
  if(SB_BENCH)
    find_package(benchmark REQUIRED)
  endif()
endif()

# Asio and Beast are compiled once (sb_asio) instead of in every translation unit that uses them.
add_library(sb_asio_headers INTERFACE)
target_link_libraries(sb_asio_headers INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(sb_asio_headers INTERFACE BOOST_ASIO_SEPARATE_COMPILATION
                                                     BOOST_BEAST_SEPARATE_COMPILATION
                                                     BOOST_ASIO_NO_DEPRECATED)
