# Source: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/master/chapter07_deep-dive-keras.ipynb
# "Deep Learning with Python", 3rd edition, chapter 7: "Using callbacks" (EarlyStopping,
# ModelCheckpoint, loading the checkpoint). Author: François Chollet. Licence: MIT.
# Cells 53 (model and data), 59, 60. Changed for the tests: the imports (below), the data
# (standin.py's MNIST stand-in: 6,000 + 1,000 images, reshape counts 6000 and 1000,
# validation slice 1000 instead of 10000), epochs 10 -> 4, and the last lines, which
# report the key figures (`history =` keeps fit's result for them). The per-batch loss
# plotting callback and TensorBoard (cells 62-66) are left out.
import os
if os.environ.get("REFERENCE"):
    import keras
    from keras import layers
else:
    import fastnn as keras
    from fastnn import layers
from standin import mnist, report

def get_mnist_model():
    inputs = keras.Input(shape=(28 * 28,))
    features = layers.Dense(512, activation="relu")(inputs)
    features = layers.Dropout(0.5)(features)
    outputs = layers.Dense(10, activation="softmax")(features)
    model = keras.Model(inputs, outputs)
    return model

(images, labels), (test_images, test_labels) = mnist.load_data()
images = images.reshape((6000, 28 * 28)).astype("float32") / 255
test_images = test_images.reshape((1000, 28 * 28)).astype("float32") / 255
train_images, val_images = images[1000:], images[:1000]
train_labels, val_labels = labels[1000:], labels[:1000]

callbacks_list = [
    keras.callbacks.EarlyStopping(
        monitor="accuracy",
        patience=1,
    ),
    keras.callbacks.ModelCheckpoint(
        filepath="checkpoint_path.keras",
        monitor="val_loss",
        save_best_only=True,
    ),
]
model = get_mnist_model()
model.compile(
    optimizer="adam",
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(
    train_images,
    train_labels,
    epochs=4,
    callbacks=callbacks_list,
    validation_data=(val_images, val_labels),
)

model = keras.models.load_model("checkpoint_path.keras")

test_loss, test_acc = model.evaluate(test_images, test_labels)
report(loss=history.history["loss"][-1], best_val_loss=min(history.history["val_loss"]),
       test_loss=test_loss, test_acc=test_acc)
