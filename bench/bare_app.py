"""A bare FastAPI endpoint, the baseline the HTTP benchmark compares civicdesk with."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Question(BaseModel):
    text: str


@app.post("/api/v1/inquiries")
def answer(question: Question) -> dict[str, str]:
    return {"outcome": "answered", "answer": question.text[:100]}
