"""Verifiable credentials core: Open Badges 3.0 documents, VC-JOSE and Data Integrity
(eddsa-rdfc-2022) securing, Bitstring Status Lists, did:web, and offline verification.

Pure library: no database, no network. The credentials domain builds on it."""

from extender.credentials.vc.checks import Check
from extender.credentials.vc.data_integrity import add_proof, verify_proof
from extender.credentials.vc.did import did_document, did_web, keys_from_did_document
from extender.credentials.vc.jose import decode_jwt, encode_jwt
from extender.credentials.vc.keys import (
    IssuerKey,
    KeyDecryptionError,
    decrypt_private_key,
    encrypt_private_key,
    generate_key,
    jwks,
    multikey,
    public_key_from_jwk,
)
from extender.credentials.vc.ob3 import (
    AchievementDef,
    Alignment,
    EvidenceEntry,
    IssuerProfile,
    RelatedCredential,
    ResultDescription,
    ResultEntry,
    StatusEntry,
    build_credential,
)
from extender.credentials.vc.schema import validate_ob3
from extender.credentials.vc.status_list import BitstringStatusList, status_list_credential
from extender.credentials.vc.verify import VerificationReport, verify

__all__ = [
    "AchievementDef",
    "Alignment",
    "BitstringStatusList",
    "Check",
    "EvidenceEntry",
    "IssuerKey",
    "IssuerProfile",
    "KeyDecryptionError",
    "RelatedCredential",
    "ResultDescription",
    "ResultEntry",
    "StatusEntry",
    "VerificationReport",
    "add_proof",
    "build_credential",
    "decode_jwt",
    "decrypt_private_key",
    "did_document",
    "did_web",
    "encode_jwt",
    "encrypt_private_key",
    "generate_key",
    "jwks",
    "keys_from_did_document",
    "multikey",
    "public_key_from_jwk",
    "status_list_credential",
    "validate_ob3",
    "verify",
    "verify_proof",
]
