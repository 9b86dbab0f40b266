"""Content bundles: decoding and checking (pure), loading, media derivatives, publishing.

``bundle`` decodes each file of a bundle into typed source records, ``checks``
cross-checks them, ``publish`` turns them into the manifest and the public pack;
``loader``, ``probe`` and ``derivatives`` touch the disk; ``library`` ties them
together behind :class:`hub.content.library.ContentLibrary`.
"""
