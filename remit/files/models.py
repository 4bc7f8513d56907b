"""The database file store's tables (``storage.DatabaseStorage``, REMIT_FILE_STORE=database): a file
is a row naming it and its bytes in chunks of ``CHUNK_BYTES``, so neither writing nor reading a large
file holds it whole in memory."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

CHUNK_BYTES = 1024 * 1024


class StoredFile(models.Model):
    """One file of the store, by its key (a relative path such as ``ach/outbound/<filename>``)."""

    name = models.CharField(max_length=500, unique=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StoredChunk(models.Model):
    """Part of a file's bytes: ``number`` 0, 1, … in order."""

    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint("file", "number", name="stored_chunk_once")]
