# The mote-broker .deb package, built by CPack (included from the top-level
# CMakeLists.txt when mote-broker is built). One package per target architecture:
# the build's own (dpkg --print-architecture) or, in a cross build, the one the
# toolchain file's multiarch triplet names (armhf, arm64). scripts/package.sh runs
# the whole thing; by hand: cmake --build BUILD && cpack --config BUILD/CPackConfig.cmake.
#
# Contents (component "broker"; the firmware client's headers and archives, which
# have their own install rules, are not in it):
#   /usr/sbin/mote-broker, /usr/bin/mote-passwd (when that target exists),
#   /etc/mote/mote.conf (conffile), /lib/systemd/system/mote.service,
#   /usr/share/doc/mote-broker/*.md;
#   maintainer scripts in packaging/debian create the mote user and /var/lib/mote.

set(MOTE_PKG_DIR ${CMAKE_CURRENT_LIST_DIR})

# The unit is Type=notify: a package without sd_notify would never become ready.
if(NOT MOTE_BROKER_SYSTEMD)
  message(STATUS "packaging: mote-broker is built without libsystemd; the .deb package is not available "
                 "(install libsystemd-dev for the target, keep MOTE_SYSTEMD=ON and MOTE_STATIC=OFF)")
  return()
endif()

# Paths are relative to the package root ("/"), so that the same rules give the
# Debian layout in the package and stay under the prefix with cmake --install.
install(TARGETS mote-broker RUNTIME DESTINATION usr/sbin COMPONENT broker)
if(TARGET mote-passwd)
  install(TARGETS mote-passwd RUNTIME DESTINATION usr/bin COMPONENT broker)
endif()
install(FILES ${MOTE_PKG_DIR}/mote.conf DESTINATION etc/mote COMPONENT broker)
install(FILES ${MOTE_PKG_DIR}/mote.service DESTINATION lib/systemd/system COMPONENT broker)
install(FILES ${PROJECT_SOURCE_DIR}/docs/deployment.md ${PROJECT_SOURCE_DIR}/docs/configuration.md
  DESTINATION usr/share/doc/mote-broker COMPONENT broker)

if(CMAKE_CROSSCOMPILING)
  if(CMAKE_LIBRARY_ARCHITECTURE STREQUAL "arm-linux-gnueabihf")
    set(MOTE_DEB_ARCH armhf)
  elseif(CMAKE_LIBRARY_ARCHITECTURE STREQUAL "aarch64-linux-gnu")
    set(MOTE_DEB_ARCH arm64)
  else()
    message(STATUS "packaging: no Debian architecture known for '${CMAKE_LIBRARY_ARCHITECTURE}'; no .deb")
    return()
  endif()
else()
  find_program(MOTE_DPKG dpkg)
  if(NOT MOTE_DPKG)
    message(STATUS "packaging: no dpkg on this machine; no .deb")
    return()
  endif()
  execute_process(COMMAND ${MOTE_DPKG} --print-architecture OUTPUT_VARIABLE MOTE_DEB_ARCH
    OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mote-broker)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Mote")
set(CPACK_PACKAGE_CONTACT "Mote maintainers <mote@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "MQTT broker for IoT edge gateways")
# The long description (CPack indents it under the summary line).
set(CPACK_PACKAGE_DESCRIPTION "Mote is an MQTT 3.1, 3.1.1 and 5.0 broker (QoS 0/1/2, persistent sessions,
retained messages, wills) configured like Mosquitto, for ARM Linux and x86
gateways. This package runs it as the systemd service mote.service under its
own system user; as shipped it listens on the loopback interface only.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL broker)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${MOTE_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies come from dpkg-shlibdeps (it follows whatever the broker
# links: libuv, libsystemd, and later mbedTLS and SQLite); adduser for postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${MOTE_PKG_DIR}/debian/postinst ${MOTE_PKG_DIR}/debian/prerm ${MOTE_PKG_DIR}/debian/postrm
  ${MOTE_PKG_DIR}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
