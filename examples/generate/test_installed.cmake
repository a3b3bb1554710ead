# ctest driver (tests/CMakeLists.txt: install_example_generate): install slm from the build tree
# into a fresh prefix, build this example against it with find_package(slm), run it on a model.
# Inputs: SLM_BINARY_DIR, SLM_SOURCE_DIR, WORK_DIR, MODEL, CXX_COMPILER, CONSUMER_FLAGS (the
# sanitizer flags the library was built with, if any: a sanitized libslm needs their runtime).
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(step_out "${out}" PARENT_SCOPE)
  set(step_err "${err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
run_step("install" ${CMAKE_COMMAND} --install ${SLM_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
run_step("configure example" ${CMAKE_COMMAND} -S ${SLM_SOURCE_DIR}/examples/generate -B ${WORK_DIR}/build
         -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release
         -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}"
         "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}")
run_step("build example" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run_step("run example" ${WORK_DIR}/build/slm_generate ${MODEL} "Hello there" 8)
if(NOT step_err MATCHES "prompt tokens, [0-9]+ generated")
  message(FATAL_ERROR "example ran but printed no statistics:\n${step_out}\n${step_err}")
endif()
message(STATUS "example output: ${step_out}")
