#include "passbox_crypto_shims.h"
#include <openssl/crypto.h>

void passbox_openssl_free(void *ptr) { OPENSSL_free(ptr); }
long passbox_bio_get_mem_data(BIO *bio, char **out) { return BIO_get_mem_data(bio, out); }
