# ctest driver (tests/CMakeLists.txt: install_consumer): install slm from the build tree into
# a fresh prefix, then configure, build and run tests/install/consumer against that prefix.
# Inputs: SLM_BINARY_DIR, SLM_SOURCE_DIR, WORK_DIR, CXX_COMPILER, CONSUMER_FLAGS (compile and link
# flags, e.g. the sanitizer the library was built with; may be empty).
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(step_out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
run_step("install" ${CMAKE_COMMAND} --install ${SLM_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
# Only the public headers are installed: the consumer must not see the source tree.
if(NOT EXISTS ${WORK_DIR}/prefix/include/slm/error.hpp)
  message(FATAL_ERROR "include/slm/error.hpp was not installed")
endif()
if(EXISTS ${WORK_DIR}/prefix/include/gguf)
  message(FATAL_ERROR "internal headers (gguf/) were installed")
endif()
run_step("configure consumer" ${CMAKE_COMMAND} -S ${SLM_SOURCE_DIR}/tests/install/consumer -B ${WORK_DIR}/build
         -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
         -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}"
         "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}")
run_step("build consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run_step("run consumer" ${WORK_DIR}/build/slm_consumer)
if(NOT step_out MATCHES "consumer ok: model.gguf: at offset 4")
  message(FATAL_ERROR "consumer ran but printed:\n${step_out}")
endif()
message(STATUS "${step_out}")
