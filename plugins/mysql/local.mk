# The mysql plugin (MariaDB Connector/C); --disable-mysql leaves it out.
if BUILD_MYSQL
endif
