"""The three summaries of the hparams plugin (experiment, session start, session end).

TensorBoard's HPARAMS tab reads them from a run: the experiment lists the hyperparameters
(name, type, optional discrete domain) and the metrics; the session start holds this run's
values in a map; the session end says the run succeeded. Field numbers are those of
tensorboard/plugins/hparams/api.proto and plugin_data.proto, and google.protobuf.Value.
"""
from __future__ import annotations

from ...tensor import Tensor
from ._records import bytes_field, double_field, opt_string, string_field, varint_field
from ._summaries import _plugin_metadata, _summary, make_np

EXPERIMENT_TAG = "_hparams_/experiment"
SESSION_START_INFO_TAG = "_hparams_/session_start_info"
SESSION_END_INFO_TAG = "_hparams_/session_end_info"
_DATA_TYPE_STRING, _DATA_TYPE_FLOAT64 = 1, 3
_STATUS_SUCCESS = 1


def _number_value(value) -> bytes:
    return double_field(2, value)  # google.protobuf.Value.number_value


def _string_value(value: str) -> bytes:
    return string_field(3, value)  # google.protobuf.Value.string_value


def _hparam_info(name: str, data_type: int, domain: list[bytes] | None) -> bytes:
    """HParamInfo{name, type, domain_discrete: ListValue{values}}."""
    out = opt_string(1, name) + varint_field(4, data_type)
    if domain is not None:
        out += bytes_field(5, b"".join(bytes_field(1, value) for value in domain))
    return out


def _plugin_summary(tag: str, data_field: int, message: bytes) -> bytes:
    # HParamsPluginData{version: 0 (left out), one of experiment/start/end}
    return _summary(tag, metadata=_plugin_metadata("hparams", bytes_field(data_field, message)))


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None) -> tuple[bytes, bytes, bytes]:
    """(experiment, session_start_info, session_end_info) summaries, as torch builds them.

    Numbers (bool included: it is an int to Python) are DATA_TYPE_FLOAT64, strings
    DATA_TYPE_STRING, a tensor its first element; a None value is left out."""
    if not isinstance(hparam_dict, dict):
        raise TypeError("parameter: hparam_dict should be a dictionary, nothing logged.")
    if not isinstance(metric_dict, dict):
        raise TypeError("parameter: metric_dict should be a dictionary, nothing logged.")
    hparam_domain_discrete = hparam_domain_discrete or {}
    if not isinstance(hparam_domain_discrete, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for key, domain in hparam_domain_discrete.items():
        if (key not in hparam_dict or not isinstance(domain, list)
                or not all(isinstance(d, type(hparam_dict[key])) for d in domain)):
            raise TypeError(f"parameter: hparam_domain_discrete[{key}] should be a list of same type "
                            f"as hparam_dict[{key}].")
    infos, start_values = [], []
    for key, value in hparam_dict.items():
        if value is None:
            continue
        domain = hparam_domain_discrete.get(key)
        if isinstance(value, (int, float)):
            start_values.append((key, _number_value(value)))
            values = None if domain is None else [_number_value(d) for d in domain]
            infos.append(_hparam_info(key, _DATA_TYPE_FLOAT64, values))
        elif isinstance(value, str):
            start_values.append((key, _string_value(value)))
            values = None if domain is None else [_string_value(d) for d in domain]
            infos.append(_hparam_info(key, _DATA_TYPE_STRING, values))
        elif isinstance(value, Tensor):
            start_values.append((key, _number_value(make_np(value)[0])))
            infos.append(_hparam_info(key, _DATA_TYPE_FLOAT64, None))
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
    # SessionStartInfo.hparams is a map<string, Value>: each entry a message {key: 1, value: 2}.
    start = b"".join(bytes_field(1, opt_string(1, key) + bytes_field(2, value))
                     for key, value in start_values)
    # Experiment{hparam_infos: 4, metric_infos: 5 = MetricInfo{name: MetricName{tag: 2}}}
    experiment = (b"".join(bytes_field(4, info) for info in infos)
                  + b"".join(bytes_field(5, bytes_field(1, opt_string(2, key))) for key in metric_dict))
    end = varint_field(1, _STATUS_SUCCESS)  # SessionEndInfo{status}
    return (_plugin_summary(EXPERIMENT_TAG, 2, experiment),
            _plugin_summary(SESSION_START_INFO_TAG, 3, start),
            _plugin_summary(SESSION_END_INFO_TAG, 4, end))
