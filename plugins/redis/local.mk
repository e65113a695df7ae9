# The redis plugin (hiredis); --disable-redis leaves it out.
if BUILD_REDIS
endif
