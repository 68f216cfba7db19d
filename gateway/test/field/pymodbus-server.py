"""Independent Modbus TCP server (Debian python3-pymodbus) for the gateway's interop test.

Usage: /usr/bin/python3 pymodbus-server.py PORT
Unit 1 and unit 2 serve a vibrating-wire piezometer register map (float32 word order CDAB) encoded
here with Python's struct module, not with our TypeScript codec, so a symmetric bug cannot hide.
Unit 2 reports status 1 (open wire).
"""
import asyncio
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartAsyncTcpServer


def float32_cdab(value):
    hi, lo = struct.unpack(">HH", struct.pack(">f", value))
    return [lo, hi]


def int16(value):
    return struct.unpack(">H", struct.pack(">h", value))[0]


def piezometer(status):
    regs = float32_cdab(12.5) + float32_cdab(245.75) + float32_cdab(1234.5) + [int16(-55), status]
    block = ModbusSequentialDataBlock(0, regs + [0] * 8)
    return ModbusSlaveContext(hr=block, ir=ModbusSequentialDataBlock(0, [0] * 16), zero_mode=True)


async def main(port):
    context = ModbusServerContext(slaves={1: piezometer(0), 2: piezometer(1)}, single=False)
    await StartAsyncTcpServer(context, address=("127.0.0.1", port))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
