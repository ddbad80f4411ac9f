"""Fixes for LocalStack 4.13.1 running in host mode on Python 3.11.

* KMS: ``KmsKey`` derives ``CurrentKeyMaterialId`` with ``uuid.uuid5(namespace, <bytes>)``;
  ``uuid5`` accepts bytes only from Python 3.12 on, so on 3.11 every CreateKey of a symmetric
  AWS_KMS key (the default, and what EKS secrets encryption needs) fails with
  ``InternalError: encoding without a string argument``. ``patch_uuid5_bytes`` backports the
  3.12 behaviour.
"""

import hashlib
import sys
import uuid


def patch_uuid5_bytes():
    if sys.version_info >= (3, 12) or getattr(uuid.uuid5, "_airgap", False):
        return
    original = uuid.uuid5

    def uuid5(namespace, name):
        if isinstance(name, (bytes, bytearray)):
            digest = hashlib.sha1(namespace.bytes + bytes(name), usedforsecurity=False).digest()
            return uuid.UUID(bytes=digest[:16], version=5)
        return original(namespace, name)

    uuid5._airgap = True
    uuid.uuid5 = uuid5
