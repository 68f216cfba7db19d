"""An independent Modbus client (Debian's python3-pymodbus) for the simulator tests.

Usage: /usr/bin/python3 pymodbus-client.py '<json>' where json is
  {"tcp": {"host": "127.0.0.1", "port": 1502}} or {"rtu": {"port": "/tmp/pty", "baudrate": 9600}},
  plus "requests": [{"fn": "holding"|"input"|"coils"|"discrete"|"write_registers"|"write_coil",
                     "unit": 1, "address": 0, "count": 2, "values": [...]}].
Prints one JSON line: a list of {"registers": [...]} | {"bits": [...]} | {"exception": code} | {"error": text}.
"""
import json
import sys

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.pdu import ExceptionResponse


def main() -> None:
    spec = json.loads(sys.argv[1])
    if "tcp" in spec:
        client = ModbusTcpClient(spec["tcp"]["host"], port=spec["tcp"]["port"], timeout=1, retries=0)
    else:
        client = ModbusSerialClient(spec["rtu"]["port"], baudrate=spec["rtu"]["baudrate"], timeout=1, retries=0)
    if not client.connect():
        print(json.dumps({"connect": False}))
        return
    out = []
    for r in spec["requests"]:
        fn, unit, address = r["fn"], r["unit"], r["address"]
        try:
            if fn == "holding":
                resp = client.read_holding_registers(address, r["count"], slave=unit)
            elif fn == "input":
                resp = client.read_input_registers(address, r["count"], slave=unit)
            elif fn == "coils":
                resp = client.read_coils(address, r["count"], slave=unit)
            elif fn == "discrete":
                resp = client.read_discrete_inputs(address, r["count"], slave=unit)
            elif fn == "write_registers":
                resp = client.write_registers(address, r["values"], slave=unit)
            elif fn == "write_coil":
                resp = client.write_coil(address, r["values"][0], slave=unit)
            else:
                raise ValueError("unknown fn " + fn)
            if isinstance(resp, ExceptionResponse):
                out.append({"exception": resp.exception_code})
            elif resp.isError():
                out.append({"error": str(resp)})
            elif hasattr(resp, "registers") and fn in ("holding", "input"):
                out.append({"registers": list(resp.registers)})
            elif hasattr(resp, "bits") and fn in ("coils", "discrete"):
                out.append({"bits": [1 if b else 0 for b in resp.bits[: r["count"]]]})
            else:
                out.append({"ok": True})
        except Exception as err:  # noqa: BLE001 - report every failure to the test
            out.append({"error": type(err).__name__ + ": " + str(err)})
    client.close()
    print(json.dumps(out))


main()
