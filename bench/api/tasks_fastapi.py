"""bench/api/tasks_fastapi.py - the task API of bench/api_bench.py in
FastAPI with pydantic models and asyncpg, the second anchor for Kiln's
generated CRUD API.

Written the way the FastAPI tutorial writes an async app: pydantic models
for the input (create and PATCH) and the output, a connection pool made at
start-up, hand-written SQL on the tables Kiln's migration made. List: pages
of 20 by id with a cursor (the last id), as Kiln's default. A body that
fails validation is FastAPI's 422; a project that does not exist too.
Run by uvicorn:  API_DB=postgres://u@127.0.0.1:5432/db uvicorn tasks_fastapi:app
"""

import datetime
import enum
import os
from typing import List, Optional

import asyncpg
from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel, constr

app = FastAPI()
POOL_SIZE = int(os.environ.get("API_POOL", "4"))
COLS = "id, project_id, title, description, status, priority, due"


class Status(str, enum.Enum):
    todo = "todo"
    doing = "doing"
    done = "done"


class Priority(str, enum.Enum):
    low = "low"
    normal = "normal"
    high = "high"


class TaskIn(BaseModel):
    project: int
    title: constr(min_length=1, max_length=200)
    description: Optional[str] = None
    status: Status = Status.todo
    priority: Priority = Priority.normal
    due: Optional[datetime.date] = None


class TaskPatch(BaseModel):
    project: Optional[int] = None
    title: Optional[constr(min_length=1, max_length=200)] = None
    description: Optional[str] = None
    status: Optional[Status] = None
    priority: Optional[Priority] = None
    due: Optional[datetime.date] = None


class TaskOut(BaseModel):
    id: int
    project: int
    title: str
    description: Optional[str]
    status: Status
    priority: Priority
    due: Optional[datetime.date]


class Page(BaseModel):
    items: List[TaskOut]
    next: Optional[int]


def out(row):
    return TaskOut(id=row["id"], project=row["project_id"],
                   title=row["title"], description=row["description"],
                   status=row["status"], priority=row["priority"],
                   due=row["due"])


@app.on_event("startup")
async def startup():
    app.state.pool = await asyncpg.create_pool(
        os.environ["API_DB"], min_size=POOL_SIZE, max_size=POOL_SIZE)


@app.get("/api/tasks", response_model=Page)
async def list_tasks(cursor: int = 0, limit: int = 20):
    if not 1 <= limit <= 100:
        raise HTTPException(422, "limit is from 1 to 100")
    rows = await app.state.pool.fetch(
        "SELECT " + COLS + " FROM task WHERE id > $1 ORDER BY id LIMIT $2",
        cursor, limit)
    items = [out(r) for r in rows]
    return Page(items=items,
                next=items[-1].id if len(items) == limit else None)


@app.get("/api/tasks/{task_id}", response_model=TaskOut)
async def get_task(task_id: int):
    row = await app.state.pool.fetchrow(
        "SELECT " + COLS + " FROM task WHERE id = $1", task_id)
    if row is None:
        raise HTTPException(404, "no such task")
    return out(row)


@app.post("/api/tasks", response_model=TaskOut, status_code=201)
async def create_task(t: TaskIn, response: Response):
    try:
        row = await app.state.pool.fetchrow(
            "INSERT INTO task (project_id, title, description, status, "
            "priority, due) VALUES ($1, $2, $3, $4, $5, $6) RETURNING " + COLS,
            t.project, t.title, t.description, t.status.value,
            t.priority.value, t.due)
    except asyncpg.ForeignKeyViolationError:
        raise HTTPException(422, "there is no project with this id")
    response.headers["Location"] = "/api/tasks/%d" % row["id"]
    return out(row)


@app.patch("/api/tasks/{task_id}", response_model=TaskOut)
async def patch_task(task_id: int, p: TaskPatch):
    changes = p.dict(exclude_unset=True)
    cols = {"project": "project_id"}
    sets, args = [], [task_id]
    for k, v in changes.items():
        if v is None and k in ("project", "title", "status", "priority"):
            raise HTTPException(422, "%s may not be null" % k)
        args.append(v.value if isinstance(v, enum.Enum) else v)
        sets.append("%s = $%d" % (cols.get(k, k), len(args)))
    try:
        if sets:
            row = await app.state.pool.fetchrow(
                "UPDATE task SET " + ", ".join(sets) + " WHERE id = $1 "
                "RETURNING " + COLS, *args)
        else:
            row = await app.state.pool.fetchrow(
                "SELECT " + COLS + " FROM task WHERE id = $1", task_id)
    except asyncpg.ForeignKeyViolationError:
        raise HTTPException(422, "there is no project with this id")
    if row is None:
        raise HTTPException(404, "no such task")
    return out(row)
