"""Fixes for LocalStack 4.13.1 running in host mode on Python 3.11.

* KMS: ``KmsKey`` derives ``CurrentKeyMaterialId`` with ``uuid.uuid5(namespace, <bytes>)``;
  ``uuid5`` accepts bytes only from Python 3.12 on, so on 3.11 every CreateKey of a symmetric
  AWS_KMS key (the default, and what EKS secrets encryption needs) fails with
  ``InternalError: encoding without a string argument``. ``patch_uuid5_bytes`` backports the
  3.12 behaviour.

Two patches only for speed (the tests' LocalStack spends its one core in them; answers are
unchanged):

* ``patch_moto_dispatch``: moto's ``BaseResponse.call_action`` lists the response class's
  methods with ``inspect.getmembers`` on every request; classes do not change, so the list
  is computed once per class.
* ``patch_ec2_get_tags``: moto's ``TaggedEC2Resource.get_tags`` asks ``describe_tags`` for
  one resource id, which walks every tag of the account and region; a Describe of N
  resources was O(N x all tags). The resource's own tags are read directly, in the same
  order and shape ``describe_tags`` gives them (its ``resource-id`` filter is an anchored
  fnmatch of the id, which EC2 ids, without ``*?[``, match exactly).
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


def patch_moto_dispatch():
    import functools

    import moto.core.responses as responses

    original = responses.method_names_from_class
    if getattr(original, "_airgap", False):
        return
    cached = functools.lru_cache(maxsize=None)(original)

    class Names(list):
        """The cached names; a name not among them is looked up afresh, so a method added
        to the class after its first request (a provider patching moto) is still found."""

        def __init__(self, names, clazz):
            super().__init__(names)
            self._clazz = clazz

        def __contains__(self, name):
            return list.__contains__(self, name) or name in original(self._clazz)

    def method_names_from_class(clazz):
        return Names(cached(clazz), clazz)

    method_names_from_class._airgap = True
    responses.method_names_from_class = method_names_from_class


def patch_ec2_get_tags():
    from moto.ec2.models.core import TaggedEC2Resource
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    if getattr(TaggedEC2Resource.get_tags, "_airgap", False):
        return
    original = TaggedEC2Resource.get_tags

    def get_tags(self):
        rid = getattr(self, "id", None)
        if not rid or any(c in rid for c in "*?["):
            return original(self)
        tags = self.ec2_backend.tags.get(rid) or {}
        kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(rid), "")
        return [
            {"resource_id": rid, "key": k, "value": v, "resource_type": kind}
            for k, v in list(tags.items())
        ]

    get_tags._airgap = True
    TaggedEC2Resource.get_tags = get_tags
