# Upstream-parity corpus: every tests/decision/vectors/*.json case through ebb decide's pipeline.
ebb_test(NAME tests_parity
  SRCS ${CMAKE_CURRENT_LIST_DIR}/parity_test.cpp
  DEPS ebb::api
  LABELS unit)
target_compile_definitions(tests_parity PRIVATE EBB_VECTORS_DIR="${CMAKE_CURRENT_LIST_DIR}/vectors")
