"""Linked-data pages: /id, /doc, /def and the home page (to be written)."""

from fastapi import APIRouter

router = APIRouter()
