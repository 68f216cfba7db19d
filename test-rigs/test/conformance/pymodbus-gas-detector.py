"""An independent Modbus TCP gas detector (Debian python3-pymodbus) for the warn-path test.

Usage: /usr/bin/python3 pymodbus-gas-detector.py PORT
Serves unit 1 with a point-type combustible-gas detector's register map, encoded here with Python's
struct module (not our TypeScript codec): holding 40001 concentration in 0.1 %LEL (int16),
40002 channel status (0 normal, 3 fault, 4 calibration), 40004 sensor life %.
Commands on stdin, one per line: `gas <percent LEL>`, `status <code>`. Prints READY once listening
and `OK <command>` after each command is applied.
"""
import asyncio
import socket
import struct
import sys
import threading

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartAsyncTcpServer


def int16(value):
    return struct.unpack(">H", struct.pack(">h", value))[0]


def commands(block):
    for line in sys.stdin:
        words = line.split()
        if len(words) != 2:
            continue
        if words[0] == "gas":
            block.setValues(1, [int16(round(float(words[1]) * 10))])
        elif words[0] == "status":
            block.setValues(2, [int(words[1])])
        print("OK " + line.strip(), flush=True)


async def main(port):
    # ModbusSequentialDataBlock addresses are 1-based inside the block in this pymodbus version:
    # register 40001 (offset 0 on the wire) is block address 1.
    block = ModbusSequentialDataBlock(1, [int16(30), 0, 0, 97] + [0] * 24)
    context = ModbusServerContext(slaves={1: ModbusSlaveContext(hr=block, zero_mode=False)}, single=False)
    threading.Thread(target=commands, args=(block,), daemon=True).start()
    loop = asyncio.get_running_loop()

    def announce():
        # READY only once the port really accepts connections (a failed bind is logged, not raised).
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            print("READY", flush=True)
        except OSError:
            loop.call_later(0.1, announce)

    loop.call_later(0.1, announce)
    # Reuse the address: the test restarts the detector on its port while the gateway's old
    # connection may still be closing (FIN-WAIT), which an exclusive bind would refuse.
    await StartAsyncTcpServer(context, address=("127.0.0.1", port), allow_reuse_address=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
