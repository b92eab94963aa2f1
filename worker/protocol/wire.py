"""The base of every wire model: lenient about extra fields, explicit about nulls.

Requests keep unknown fields (``extra="allow"``) so new client fields and betas reach a
same-protocol upstream unchanged. :meth:`WireModel.to_wire` leaves out fields that are
``None`` (an absent optional field and an explicit null mean the same to both APIs), except
the names in ``always_emit``: fields whose ``null`` clients read (``stop_reason`` in
``message_start``, ``finish_reason`` on every chunk, ``content`` beside ``tool_calls``). Only a
:class:`NullKeepingWireModel` may name any: keeping them takes a Python serializer called for each
instance in every dump, which the other models are spared.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

# Lists longer than this are dumped item by item (see WireModel.to_wire); a few hundred models dump
# in well under a millisecond.
_DUMP_WHOLE_UP_TO = 256


class WireModel(BaseModel):
    """A JSON object on the wire; see the module docstring for the null policy."""

    model_config = ConfigDict(extra="allow")

    always_emit: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.always_emit and not issubclass(cls, NullKeepingWireModel):
            raise TypeError(f"{cls.__name__} names always_emit fields: derive it from NullKeepingWireModel")

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict to send: ``None`` fields dropped except ``always_emit``.

        A long list of models (a conversation's messages) is dumped one item at a time: the same
        result, but no single call holds the GIL for the whole body, so a thread building a large
        request leaves the event loop room to run.
        """
        long_lists = {
            name
            for name, value in self.__dict__.items()
            if isinstance(value, list)
            and len(value) > _DUMP_WHOLE_UP_TO
            and all(isinstance(item, WireModel) for item in value)
        }
        data = self.model_dump(mode="json", exclude_none=True, exclude=long_lists or None)
        for name in long_lists:
            data[name] = [item.to_wire() for item in getattr(self, name)]
        return data


class NullKeepingWireModel(WireModel):
    """A wire model that sends the fields named in ``always_emit`` even when they are ``None``."""

    @model_serializer(mode="wrap")
    def _keep_declared_nulls(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for name in self.always_emit:
                data.setdefault(name, None)
        return data
