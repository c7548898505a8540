#ifndef PASSBOX_CISAL_SHIM_H
#define PASSBOX_CISAL_SHIM_H
/* Intel ISA-L (Debian libisal-dev): igzip's inflate and its CRC32. */
#include <isa-l/igzip_lib.h>
#include <isa-l/crc.h>
#endif
