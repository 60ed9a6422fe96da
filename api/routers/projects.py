"""Projects with their codebooks, and the reviewers assigned to them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from autocoder import refi
from autocoder.errors import InputError

from ..audit import record
from ..auth import ANYONE, STAFF, current_user, project_access, require
from ..coding import create_project, project_codebook, project_out
from ..context import Context
from ..deps import get_context, get_session
from ..orm import Member, Project, User
from ..payloads import MemberIn, Name, ProjectIn, ProjectOut, UserOut
from ..uploads import read_upload

router = APIRouter(tags=["projects"])


@router.post("/projects", status_code=201, response_model=ProjectOut)
def add_project(body: ProjectIn, session: Session = Depends(get_session), context: Context = Depends(get_context),
                admin: User = Depends(require("admin"))):
    codebook = body.codebook if body.codebook is not None else context.initial_codebook
    project = create_project(session, context, body.name, codebook)
    record(session, admin, "project.create", f"project {project.id} ({project.name})",
           codebook=project_codebook(project).id)
    session.commit()
    return project_out(project)


@router.post("/projects/import-codebook", status_code=201, response_model=ProjectOut)
def add_project_from_file(name: Annotated[Name, Form()], file: Annotated[UploadFile, File(description=".json or .qdc")],
                          session: Session = Depends(get_session), context: Context = Depends(get_context),
                          admin: User = Depends(require("admin"))):
    """A project whose codebook is a JSON file in the library's form or a REFI-QDA codebook (.qdc)."""
    filename, data = read_upload(file, (".json", ".qdc"))
    if filename.lower().endswith(".qdc"):
        codebook = refi.read_qdc(data, source=filename, codebook_id=refi.slug(name))
    else:
        codebook = refi.read_json_object(data, source=filename)
    project = create_project(session, context, name, codebook)
    record(session, admin, "import.codebook", f"project {project.id} ({project.name})", file=filename,
           codebook=project_codebook(project).id)
    session.commit()
    return project_out(project)


@router.get("/projects", response_model=list[ProjectOut])
def list_projects(session: Session = Depends(get_session), user: User = Depends(current_user)):
    query = select(Project).order_by(Project.id)
    if user.role == "reviewer":
        query = query.join(Member, Member.project_id == Project.id).where(Member.user_id == user.id)
    return [project_out(p) for p in session.scalars(query)]


@router.get("/projects/{project_id}", response_model=ProjectOut)
def get_project(project: Project = Depends(project_access(*ANYONE))):
    return project_out(project)


@router.get("/projects/{project_id}/codebook")
def get_codebook(project: Project = Depends(project_access(*ANYONE))) -> dict:
    """The codebook in the library's JSON form."""
    return project.codebook


@router.get("/projects/{project_id}/codebook.qdc", response_class=Response,
            responses={200: {"content": {"application/xml": {}}}})
def get_codebook_qdc(project: Project = Depends(project_access(*STAFF))):
    """The codebook as a REFI-QDA codebook (.qdc) for NVivo, ATLAS.ti or MAXQDA."""
    return Response(refi.write_qdc(project_codebook(project)), media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{refi.slug(project.name)}.qdc"'})


@router.post("/projects/{project_id}/members", status_code=201, response_model=UserOut)
def add_member(body: MemberIn, project: Project = Depends(project_access("admin")),
               session: Session = Depends(get_session), admin: User = Depends(current_user)):
    user = session.get(User, body.user_id)
    if user is None:
        raise HTTPException(404, f"no user {body.user_id}")
    if user.role != "reviewer":
        raise InputError(f"only reviewers are assigned to projects; {user.name!r} is a {user.role}")
    if session.get(Member, (project.id, user.id)) is None:
        session.add(Member(project_id=project.id, user_id=user.id))
        record(session, admin, "member.add", f"project {project.id} ({project.name})", user=user.name)
        session.commit()
    return user


@router.get("/projects/{project_id}/members", response_model=list[UserOut])
def list_members(project: Project = Depends(project_access(*STAFF)), session: Session = Depends(get_session)):
    return session.scalars(select(User).join(Member, Member.user_id == User.id)
                           .where(Member.project_id == project.id).order_by(User.id)).all()
