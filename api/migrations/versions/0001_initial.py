"""Initial schema: users and tokens, projects, documents, units, suggestions, decisions, models, training data, jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "model_versions",
        sa.Column("version", sa.Text(), primary_key=True),
        sa.Column("codebook_id", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("train_units", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("codebook", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.Text(), sa.ForeignKey("model_versions.version"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    # model_versions and projects refer to each other: the second reference is added once both exist.
    with op.batch_alter_table("model_versions") as batch:
        batch.create_foreign_key("fk_model_versions_project", "projects", ["project_id"], ["id"], ondelete="SET NULL")
    op.create_table(
        "members",
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("stored_path", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("project_id", "name"),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("start_char", sa.Integer(), nullable=False),
        sa.Column("end_char", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("section", sa.String(50), nullable=True),
        sa.Column("suggestion_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
    )
    op.create_index("ix_units_project_status", "units", ["project_id", "status"])
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("construct", sa.Text(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("ranked", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.Text(), sa.ForeignKey("model_versions.version"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    # units and suggestions refer to each other too.
    with op.batch_alter_table("units") as batch:
        batch.create_foreign_key("fk_units_suggestion", "suggestions", ["suggestion_id"], ["id"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), sa.ForeignKey("suggestions.id"), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("unit_id", "version"),
    )
    _append_only("decisions")
    op.create_table(
        "training_examples",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("ref", sa.Text(), nullable=True),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column("start_char", sa.Integer(), nullable=True),
        sa.Column("end_char", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("section", sa.String(50), nullable=True),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("coder", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("model_version", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
    )


def _append_only(table: str) -> None:
    """The database itself refuses to change a row of `table` (rows may still go with their project)."""
    message = f"{table} are append-only"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$")
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
    else:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER decisions_append_only ON decisions")
        op.execute("DROP FUNCTION decisions_append_only")
    else:
        op.execute("DROP TRIGGER decisions_append_only")
    for table in ("jobs", "training_examples", "decisions"):
        op.drop_table(table)
    with op.batch_alter_table("units") as batch:
        batch.drop_constraint("fk_units_suggestion", type_="foreignkey")
    for table in ("suggestions", "units", "documents", "members"):
        op.drop_table(table)
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_constraint("fk_model_versions_project", type_="foreignkey")
    for table in ("projects", "model_versions", "tokens", "users"):
        op.drop_table(table)
