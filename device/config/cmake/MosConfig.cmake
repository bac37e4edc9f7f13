# mos_config_schema(<target> OUT <header> YAML <mos.yml>... [STRUCT <name>]
#                   [NAMESPACE <ns>] [NO_CORE] [CONF0 <conf0.json>])
# Generates <header> (typed config struct + schema table for mos::Config)
# from the core schema (device/config/mos_core.yml, unless NO_CORE) followed
# by the given YAML files, and adds its directory to <target>'s includes.
# CONF0 also writes the defaults as JSON (the firmware filesystem's conf0.json).
# Needs Python 3 with PyYAML (Debian: python3-yaml) at build time.
set(MOS_CONFIG_DIR ${CMAKE_CURRENT_LIST_DIR}/.. CACHE INTERNAL "")
find_package(Python3 REQUIRED COMPONENTS Interpreter)

function(mos_config_schema target)
  cmake_parse_arguments(ARG "NO_CORE" "OUT;STRUCT;NAMESPACE;CONF0" "YAML" ${ARGN})
  if(NOT ARG_OUT)
    message(FATAL_ERROR "mos_config_schema(${target}): OUT <header> is required")
  endif()
  if(NOT ARG_STRUCT)
    set(ARG_STRUCT MosConfig)
  endif()
  if(NOT ARG_NAMESPACE)
    set(ARG_NAMESPACE mos)
  endif()
  set(yamls)
  if(NOT ARG_NO_CORE)
    list(APPEND yamls ${MOS_CONFIG_DIR}/mos_core.yml)
  endif()
  foreach(y ${ARG_YAML})
    get_filename_component(y ${y} ABSOLUTE)
    list(APPEND yamls ${y})
  endforeach()
  set(gen ${MOS_CONFIG_DIR}/mos_config_gen.py)
  set(outputs ${ARG_OUT})
  set(conf0_args)
  if(ARG_CONF0)
    list(APPEND outputs ${ARG_CONF0})
    set(conf0_args --conf0 ${ARG_CONF0})
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${Python3_EXECUTABLE} ${gen} --out ${ARG_OUT} ${conf0_args} --struct ${ARG_STRUCT}
            --namespace ${ARG_NAMESPACE} ${yamls}
    DEPENDS ${gen} ${yamls}
    COMMENT "Generating config schema ${ARG_OUT}"
    VERBATIM)
  string(MAKE_C_IDENTIFIER "${target}_${ARG_OUT}" gen_target)
  add_custom_target(${gen_target} DEPENDS ${outputs})
  add_dependencies(${target} ${gen_target})
  get_filename_component(out_dir ${ARG_OUT} DIRECTORY)
  target_include_directories(${target} PUBLIC ${out_dir})
  target_link_libraries(${target} PUBLIC mos_config)
endfunction()
