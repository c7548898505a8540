#ifndef PASSBOX_CRYPTO_SHIMS_H
#define PASSBOX_CRYPTO_SHIMS_H
#include <stddef.h>
#include <openssl/bio.h>
#include <openssl/evp.h>

/* OpenSSL function-like macros that Swift cannot import. */
void passbox_openssl_free(void *ptr);
long passbox_bio_get_mem_data(BIO *bio, char **out);

/* X.509 and CMS: stack macros and flag expressions (appended for vendor signature formats). */
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/cms.h>
int passbox_sk_x509_num(const STACK_OF(X509) *sk);
X509 *passbox_sk_x509_value(const STACK_OF(X509) *sk, int i);
STACK_OF(X509) *passbox_sk_x509_new_null(void);
/* Pushes x and takes over the caller's reference; 0 on failure (then the caller still owns x). */
int passbox_sk_x509_push(STACK_OF(X509) *sk, X509 *x);
/* Frees the stack and drops one reference of every certificate in it. */
void passbox_sk_x509_pop_free(STACK_OF(X509) *sk);
int passbox_sk_cms_signerinfo_num(STACK_OF(CMS_SignerInfo) *sk);
CMS_SignerInfo *passbox_sk_cms_signerinfo_value(STACK_OF(CMS_SignerInfo) *sk, int i);
unsigned long passbox_xn_flag_rfc2253(void);
#endif
