# Compiler flags and instruction-set detection for Penumbra's native kernels.
#
# The library carries one build of the kernels per instruction set and the Java loader picks one at
# run time from penumbra_caps(); nothing here uses -march=native, so the .so runs on any x86-64.
include(CheckCCompilerFlag)

set(PENUMBRA_COMMON_FLAGS -O3 -fno-strict-aliasing -ffp-contract=off -fvisibility=hidden)

# x86-64 variants need the compiler to accept the ISA flags (not the build machine to run them).
check_c_compiler_flag("-mavx2 -mfma" PENUMBRA_CC_AVX2)
check_c_compiler_flag("-mavx512f -mavx2 -mfma" PENUMBRA_CC_AVX512)
if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  set(PENUMBRA_CC_AVX2 OFF)
  set(PENUMBRA_CC_AVX512 OFF)
endif()

# penumbra_add_variant(<target> <isa number> <suffix> <flags...>): the kernels built for one ISA.
function(penumbra_add_variant target isa suffix)
  add_library(${target} OBJECT ${PENUMBRA_KERNEL_SOURCE})
  target_include_directories(${target} PRIVATE ${PENUMBRA_INCLUDE_DIR})
  target_compile_definitions(${target} PRIVATE PN_ISA=${isa} PN_SUFFIX=${suffix})
  target_compile_options(${target} PRIVATE ${PENUMBRA_COMMON_FLAGS} ${ARGN})
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON C_STANDARD 11 C_EXTENSIONS ON)
endfunction()
