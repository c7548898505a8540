#ifndef PASSBOX_CRYPTO_SHIMS_H
#define PASSBOX_CRYPTO_SHIMS_H
#include <stddef.h>
#include <openssl/bio.h>
#include <openssl/evp.h>

/* OpenSSL function-like macros that Swift cannot import. */
void passbox_openssl_free(void *ptr);
long passbox_bio_get_mem_data(BIO *bio, char **out);
#endif
