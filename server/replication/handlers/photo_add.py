"""``photo.add``: a photo taken on the device, with its bytes; checked to be the image it says it is."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib

from server.db.models import Photo
from server.photos import NotAnImage, check_photo
from server.replication.context import Applied, PushContext, Rejected
from sync.protocol import Mutation, PhotoAddArgs

IMAGE_MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "image/webp": b"RIFF"}


async def apply(ctx: PushContext, mutation: Mutation, args: PhotoAddArgs) -> Applied:
    job, applied = await ctx.job_for(mutation, args.job_id)
    try:
        data = base64.b64decode(args.data_b64, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected("invalid_photo", "the photo data is not valid base64") from None
    if not data.startswith(IMAGE_MAGIC[args.content_type]):
        raise Rejected("invalid_photo", f"the photo is not a {args.content_type} image")
    try:  # decoded (off the event loop), and bounded in pixels: not a WAV as WebP, not an image bomb
        await asyncio.to_thread(check_photo, data, args.content_type)
    except NotAnImage as exc:
        raise Rejected("invalid_photo", str(exc)) from None
    digest = hashlib.sha256(data).hexdigest()
    existing = ctx.batch.photos.get(args.photo_id)
    if existing is not None:
        if existing != (job.id, digest):
            raise Rejected("duplicate_id", "this photo id is already used for another photo")
        return applied
    ctx.batch.photos[args.photo_id] = (job.id, digest)
    ctx.session.add(
        Photo(
            id=args.photo_id,
            job_id=job.id,
            filename=args.filename,
            content_type=args.content_type,
            size=len(data),
            sha256=digest,
            caption=args.caption,
            data=data,
            taken_at=args.taken_at,
            received_at=ctx.now,
            user_id=ctx.principal.user_id,
            device_id=ctx.principal.device_id,
        )
    )
    ctx.touch(job, ["photos"])
    return applied
