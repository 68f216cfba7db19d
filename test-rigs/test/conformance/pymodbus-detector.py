"""An independent gas detector (Debian python3-pymodbus) for the warn-path end-to-end test.

Usage: /usr/bin/python3 pymodbus-detector.py PORT
Unit 1 serves the register map of a point-type catalytic detector, encoded here with Python's struct
module (not our TypeScript codec): 40001 concentration in 0.1 %LEL (int16), 40002 status code
(0 normal, 3 fault, 4 calibration), 40003 relays, 40004 sensor life %.
Commands on stdin, one per line: `hr ADDRESS VALUE` sets a holding register (VALUE may be negative:
stored as int16). Each applied command is echoed on stdout as `ok ADDRESS VALUE`.
"""
import asyncio
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartAsyncTcpServer


def int16(value):
    return struct.unpack(">H", struct.pack(">h", value))[0]


async def commands(slave):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            return
        parts = line.decode().split()
        if len(parts) == 3 and parts[0] == "hr":
            address, value = int(parts[1]), int(parts[2])
            slave.setValues(3, address, [int16(value)])  # function 3: holding registers, protocol address
            print(f"ok {address} {value}", flush=True)


async def main(port):
    block = ModbusSequentialDataBlock(0, [30, 0, 0, 95] + [0] * 28)
    slave = ModbusSlaveContext(hr=block, ir=ModbusSequentialDataBlock(0, [0] * 32), zero_mode=True)
    context = ModbusServerContext(slaves={1: slave}, single=False)
    asyncio.get_running_loop().create_task(commands(slave))
    await StartAsyncTcpServer(context, address=("127.0.0.1", port))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
