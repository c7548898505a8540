#ifndef PASSBOX_CLIBARCHIVE_SHIM_H
#define PASSBOX_CLIBARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <locale.h>

/* AE_IF* are cast expressions Swift cannot import. */
static inline unsigned int passbox_ae_ifmt(void)   { return (unsigned int)AE_IFMT; }
static inline unsigned int passbox_ae_ifreg(void)  { return (unsigned int)AE_IFREG; }
static inline unsigned int passbox_ae_ifdir(void)  { return (unsigned int)AE_IFDIR; }
static inline unsigned int passbox_ae_iflnk(void)  { return (unsigned int)AE_IFLNK; }
static inline unsigned int passbox_ae_ifchr(void)  { return (unsigned int)AE_IFCHR; }
static inline unsigned int passbox_ae_ifblk(void)  { return (unsigned int)AE_IFBLK; }
static inline unsigned int passbox_ae_ififo(void)  { return (unsigned int)AE_IFIFO; }
static inline unsigned int passbox_ae_ifsock(void) { return (unsigned int)AE_IFSOCK; }
#endif
