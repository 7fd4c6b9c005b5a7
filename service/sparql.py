"""The SPARQL 1.1 Protocol at /sparql (to be written)."""

from fastapi import APIRouter

router = APIRouter()
