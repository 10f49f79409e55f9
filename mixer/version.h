/* tessera's version string. */
#ifndef TESSERA_VERSION_H
#define TESSERA_VERSION_H

#define TESSERA_VERSION "0.1.0"

#endif
