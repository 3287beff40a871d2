# The HTTP endpoint (broker/src/http, docs/dashboard.md), included from
# broker/CMakeLists.txt. mote_broker_http holds the sans-I/O parts (request
# reader over Debian's libhttp-parser, routes, Prometheus text, the dashboard's
# files) so that unit tests and the fuzzer link them without libuv; the libuv
# listener is compiled into mote-broker.
find_path(MOTE_HTTP_PARSER_INCLUDE_DIR http_parser.h)
find_library(MOTE_HTTP_PARSER_LIBRARY NAMES http_parser libhttp_parser.so.2.9)  # soname: ARM cross builds
if(NOT MOTE_HTTP_PARSER_INCLUDE_DIR OR NOT MOTE_HTTP_PARSER_LIBRARY)
  message(FATAL_ERROR "libhttp-parser not found: apt-get install libhttp-parser-dev (scripts/setup.sh)")
endif()

# The dashboard page needs MQTT.js's browser bundle. It comes from the npm registry
# at build time (package-lock.json pins it) into build/.../npm/dashboard, and is
# compiled into mote-broker, so the page works offline. Without it (OFF) the broker
# refuses `http_dashboard true` at start-up.
option(MOTE_DASHBOARD "Bundle MQTT.js (npm) into mote-broker for the dashboard page" ON)
set(MOTE_DASHBOARD_DIR ${CMAKE_CURRENT_SOURCE_DIR}/src/http/dashboard)
set(mote_npm_dashboard ${CMAKE_BINARY_DIR}/npm/dashboard)
if(MOTE_DASHBOARD)
  find_program(MOTE_NPM npm)
  if(NOT MOTE_NPM)
    message(FATAL_ERROR "MOTE_DASHBOARD=ON needs npm (the dashboard bundles MQTT.js from the npm registry); "
                        "install npm or configure with -DMOTE_DASHBOARD=OFF")
  endif()
  set(MOTE_DASHBOARD_MQTT_JS ${mote_npm_dashboard}/node_modules/mqtt/dist/mqtt.min.js)
  add_custom_command(OUTPUT ${MOTE_DASHBOARD_MQTT_JS}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${mote_npm_dashboard}
    COMMAND ${CMAKE_COMMAND} -E copy ${MOTE_DASHBOARD_DIR}/package.json ${MOTE_DASHBOARD_DIR}/package-lock.json
            ${mote_npm_dashboard}/
    COMMAND ${MOTE_NPM} ci --prefix ${mote_npm_dashboard} --ignore-scripts --no-audit --no-fund
    COMMAND ${CMAKE_COMMAND} -E touch ${MOTE_DASHBOARD_MQTT_JS}
    DEPENDS ${MOTE_DASHBOARD_DIR}/package.json ${MOTE_DASHBOARD_DIR}/package-lock.json
    COMMENT "npm ci: MQTT.js for the dashboard page"
    VERBATIM)
  add_custom_target(mote_dashboard_npm DEPENDS ${MOTE_DASHBOARD_MQTT_JS})
  set(MOTE_DASHBOARD_BUILT true)
else()
  set(MOTE_DASHBOARD_MQTT_JS ${CMAKE_CURRENT_BINARY_DIR}/http_no_mqtt.js)
  file(WRITE ${MOTE_DASHBOARD_MQTT_JS} "")
  set(MOTE_DASHBOARD_BUILT false)
endif()

configure_file(${CMAKE_CURRENT_SOURCE_DIR}/src/http/assets.cpp.in ${CMAKE_CURRENT_BINARY_DIR}/http_assets.cpp @ONLY)
# .incbin is invisible to the compiler's dependency scan: name the files here.
set_source_files_properties(${CMAKE_CURRENT_BINARY_DIR}/http_assets.cpp PROPERTIES OBJECT_DEPENDS
  "${MOTE_DASHBOARD_DIR}/index.html;${MOTE_DASHBOARD_DIR}/dashboard.js;${MOTE_DASHBOARD_DIR}/dashboard.css;${MOTE_DASHBOARD_MQTT_JS}")

add_library(mote_broker_http STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/src/http/request.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/http/routes.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/http/metrics.cpp
  ${CMAKE_CURRENT_BINARY_DIR}/http_assets.cpp)
target_include_directories(mote_broker_http PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src ${MOTE_HTTP_PARSER_INCLUDE_DIR})
target_link_libraries(mote_broker_http PUBLIC mote_broker_core ${MOTE_HTTP_PARSER_LIBRARY} PRIVATE mote_warnings)
if(MOTE_DASHBOARD)
  add_dependencies(mote_broker_http mote_dashboard_npm)
endif()

if(TARGET mote-broker)
  target_sources(mote-broker PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src/http/http_server.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/src/http/server_hook.cpp)
  target_link_libraries(mote-broker PRIVATE mote_broker_http)
endif()
