/* Records of the Ident application's store namespace (its share of the package's SharedMemory). */
#ifndef CF_IDENT_INTERNAL_H
#define CF_IDENT_INTERNAL_H

enum {
  IDENT_REC_CERT = 1, /* the 98-byte certificate; present = provisioned (idCert[0] == AA) */
  IDENT_REC_PRIV = 2, /* the identity private key (32) */
};

#endif
