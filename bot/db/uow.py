"""Unit of work: one transaction per use case. Services commit, repositories never."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.engine import Connection, Engine

from bot.db.repositories import AuditRepository, CustomerRepository


class UnitOfWork:
    """Opens a connection and a transaction; rolls back unless `commit()` was called."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None

    def __enter__(self) -> UnitOfWork:
        self._connection = self._engine.connect()
        self._transaction = self._connection.begin()
        self.customers = CustomerRepository(self._connection)
        self.audit = AuditRepository(self._connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._transaction.is_active:
            self._transaction.rollback()
        assert self._connection is not None
        self._connection.close()

    @property
    def connection(self) -> Connection:
        assert self._connection is not None, "use the unit of work in a with block"
        return self._connection

    def commit(self) -> None:
        self._transaction.commit()
