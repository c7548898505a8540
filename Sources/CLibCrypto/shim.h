#ifndef PASSBOX_CLIBCRYPTO_SHIM_H
#define PASSBOX_CLIBCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
/* X.509 chains, CMS/PKCS#7, object ids (vendor signature formats). */
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/cms.h>
#include <openssl/objects.h>
#include <openssl/asn1.h>
#endif
