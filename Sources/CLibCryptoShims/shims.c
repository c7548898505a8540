#include "passbox_crypto_shims.h"
#include <openssl/crypto.h>

void passbox_openssl_free(void *ptr) { OPENSSL_free(ptr); }
long passbox_bio_get_mem_data(BIO *bio, char **out) { return BIO_get_mem_data(bio, out); }

int passbox_sk_x509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
X509 *passbox_sk_x509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
STACK_OF(X509) *passbox_sk_x509_new_null(void) { return sk_X509_new_null(); }
int passbox_sk_x509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x) > 0; }
void passbox_sk_x509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }
int passbox_sk_cms_signerinfo_num(STACK_OF(CMS_SignerInfo) *sk) { return sk_CMS_SignerInfo_num(sk); }
CMS_SignerInfo *passbox_sk_cms_signerinfo_value(STACK_OF(CMS_SignerInfo) *sk, int i) { return sk_CMS_SignerInfo_value(sk, i); }
unsigned long passbox_xn_flag_rfc2253(void) { return XN_FLAG_RFC2253; }
